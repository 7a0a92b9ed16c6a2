"""Name normalisation for sanctions screening.

A raw name ("AL-JAWLANI, Abu Mohammed", "Дмитрий Медведев", "محمد علي", "CIMEX, S.A.") becomes
a tuple of comparable tokens. The rules are the same for list names and for query names, so a
rule that drops or folds something can never create an asymmetry between the two sides.

Cross-script handling:
- Alphabetic scripts (Cyrillic, Greek, Latin with diacritics, Devanagari, Thai, ...) are
  transliterated to ASCII with anyascii, then folded for common transliteration variants.
- Abjads (Arabic, Persian, Hebrew) do not write most vowels, so a transliteration such as "mhmd"
  cannot be compared letter by letter with "Mohammed". Such tokens are marked ``consonantal``
  and compared through a consonant *skeleton* that both sides can produce ("mhmd"). This is
  weaker evidence than a full spelling, and screening caps it accordingly.
- Chinese characters are read as pinyin (surname, then the given name as one token, the usual
  Latin spelling); Hangul is romanised and folded towards the McCune-Reischauer spellings used on
  OFAC and UN lists ("Gim Jeong Eun" -> "kim jong un"). Japanese kanji are read as Chinese, which
  is wrong for Japanese names: that case is a known limitation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import msgspec
from anyascii import anyascii

# Removed wherever they appear: they describe a person, not identify them.
HONORIFICS: frozenset[str] = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "rev",
        "hon",
        "sheikh",
        "shaikh",
        "shaykh",
        "sheik",
        "haji",
        "hajji",
        "alhaji",
        "hadji",
        "mullah",
        "mulla",
        "maulvi",
        "mawlawi",
        "maulana",
        "mawlana",
        "gen",
        "col",
        "maj",
        "capt",
        "cpt",
        "lt",
        "sgt",
        "brig",
        "jr",
        "sr",
        "junior",
        "senior",
        "ii",
        "iii",
        "iv",
    ]
)

# Legal-form suffixes: "CIMEX, S.A." and "CIMEX" are the same counterparty for screening.
COMPANY_SUFFIXES: frozenset[str] = frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "srl",
        "spa",
        "sas",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "asa",
        "kft",
        "zrt",
        "sro",
        "doo",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ojsc",
        "cjsc",
        "jsc",
        "pjsc",
        "tov",
        "pte",
        "pvt",
        "pty",
        "llp",
        "lp",
        "kg",
        "kk",
        "cv",
        "fze",
        "fzco",
        "fzc",
        "fz",
        "fzllc",
        "sal",
        "saog",
        "saoc",
        "bsc",
        "wll",
    ]
)

# Particles and connectives that are written inconsistently ("AL-RAWI" / "RAWI",
# "bin Laden" / "Laden", "Banco de Cuba" / "Banco Cuba"); they carry almost no identity.
PARTICLES: frozenset[str] = frozenset(
    [
        "al",
        "el",
        "ul",
        "bin",
        "ibn",
        "ben",
        "bint",
        "binti",
        "ould",
        "de",
        "da",
        "di",
        "del",
        "della",
        "der",
        "den",
        "van",
        "von",
        "du",
        "dos",
        "das",
        "la",
        "le",
        "the",
        "of",
        "and",
        "for",
    ]
)

# Arabic names built on "abd" ("servant of") are written as one token or two; always join them.
_ABD_PREFIXES: frozenset[str] = frozenset(
    ["abd", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdu", "abdur", "abdus", "abdil"]
)

_SINGLE_COMMA = re.compile(r"^([^,،]+)[,،]([^,،]+)$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CAMEL_SYLLABLE = re.compile(r"[A-Z][a-z]*|[a-z]+")

# Script classes, by the Unicode character name prefix.
_ABJAD, _HANGUL, _HAN, _KANA, _OTHER = "abjad", "hangul", "han", "kana", "other"

# Arabic/Persian and Hebrew letters to skeleton consonants. "_" marks a word-initial vowel
# carrier (alif, hamza, ayin, aleph): Latin spellings start with a vowel there ("Ahmed", "Ali").
# Long-vowel letters (waw, yeh, vav, yod) are "w"/"y"; only a word-initial one is a consonant.
_ABJAD_SKELETON: dict[str, str] = {
    **dict.fromkeys("اأإآٱءؤئعى", "_"),
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "T",
    "ج": "j",
    "چ": "C",
    "ح": "h",
    "خ": "X",
    "د": "d",
    "ذ": "D",
    "ر": "r",
    "ز": "z",
    "ژ": "Z",
    "س": "s",
    "ش": "S",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "غ": "G",
    "ف": "f",
    "ق": "k",
    "ک": "k",
    "ك": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "h",
    "و": "w",
    "ي": "y",
    "ی": "y",
    # Urdu letters (Pakistani and Afghan names on the UN list).
    "ٹ": "t",
    "ڈ": "d",
    "ڑ": "r",
    "ں": "n",
    "ھ": "h",
    "ے": "y",
    "ۃ": "h",
    "ې": "y",
    "ۍ": "y",
    **dict.fromkeys("אע", "_"),
    "ב": "b",
    "ג": "g",
    "ד": "d",
    "ה": "h",
    "ו": "w",
    "ז": "z",
    "ח": "X",
    "ט": "t",
    "י": "y",
    "כ": "k",
    "ך": "k",
    "ל": "l",
    "מ": "m",
    "ם": "m",
    "נ": "n",
    "ן": "n",
    "ס": "s",
    "פ": "p",
    "ף": "f",
    "צ": "s",
    "ץ": "s",
    "ק": "k",
    "ר": "r",
    "ש": "S",
    "ת": "t",
}

# Latin digraphs folded to the same skeleton consonants as the abjad letters above.
_LATIN_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("sch", "S"),
    ("sh", "S"),
    ("ch", "C"),
    ("kh", "X"),
    ("gh", "G"),
    ("th", "T"),
    ("dh", "D"),
    ("zh", "Z"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("c", "k"),
    ("x", "ks"),
    ("v", "w"),
)
_VOWELS = frozenset("aeiou")

# Korean: the common surnames as they appear on sanctions lists, keyed by Revised Romanization.
_KOREAN_SURNAMES: dict[str, str] = {
    "gim": "kim",
    "i": "lee",
    "ri": "ri",
    "bag": "park",
    "jeong": "jong",
    "choe": "choe",
    "jo": "jo",
    "gang": "kang",
    "yun": "yun",
    "jang": "jang",
    "im": "rim",
    "han": "han",
    "o": "o",
    "seo": "so",
    "sin": "sin",
    "gwon": "kwon",
    "hwang": "hwang",
    "an": "an",
    "song": "song",
    "ryu": "ryu",
    "yu": "yu",
    "hong": "hong",
    "go": "ko",
    "mun": "mun",
    "yang": "yang",
    "son": "son",
    "bae": "pae",
    "baeg": "paek",
    "heo": "ho",
    "nam": "nam",
    "sim": "sim",
    "no": "no",
    "ha": "ha",
    "gwag": "kwak",
    "seong": "song",
    "cha": "cha",
    "ju": "ju",
    "u": "u",
    "gu": "ku",
    "min": "min",
    "jin": "jin",
    "ji": "ji",
    "chae": "chae",
}


class NormalizedName(msgspec.Struct, frozen=True):
    """Tokens of a name in comparable form; ``consonantal[i]`` marks abjad-derived tokens."""

    tokens: tuple[str, ...]
    consonantal: tuple[bool, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def _script_of(ch: str) -> str:
    if ch.isascii():
        return _OTHER
    name = unicodedata.name(ch, "")
    if name.startswith(("ARABIC", "HEBREW")):
        return _ABJAD
    if name.startswith("HANGUL"):
        return _HANGUL
    if name.startswith("CJK"):
        return _HAN
    if name.startswith(("HIRAGANA", "KATAKANA")):
        return _KANA
    return _OTHER


def reorder_last_first(raw: str) -> str:
    """'SALEK, Abdulhai' -> 'Abdulhai SALEK'; 'CIMEX, S.A.' and 'LAVILA, JR' stay as given."""
    m = _SINGLE_COMMA.match(raw.strip())
    if m is None:
        return raw
    left, right = m.group(1).strip(), m.group(2).strip()
    right_tokens = _join_initials(_NON_ALNUM.sub(" ", anyascii(right).lower()).split())
    if not right_tokens or all(t in COMPANY_SUFFIXES or t in HONORIFICS for t in right_tokens):
        return raw
    return f"{right} {left}"


def _join_initials(tokens: list[str]) -> list[str]:
    """'s a' -> 'sa', 'j s c' -> 'jsc': a dotted abbreviation is one token; a lone initial stays."""
    out: list[str] = []
    run: list[str] = []
    for t in tokens:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(t)
    if run:
        out.append("".join(run))
    return out


def _fold_latin(token: str) -> str:
    """Fold spelling variants that transliteration systems disagree on."""
    # Dmitriy / Dmitrii / Dmitry: the -iy/-ii/-yy endings of Russian names are one sound.
    if len(token) > 4 and token[-2:] in ("iy", "ii", "yy", "ij"):
        token = token[:-2] + "y"
    return token.replace("x", "ks")


def _split_runs(raw: str) -> list[tuple[str, str]]:
    """Split text into (script class, run) pieces so each run is transliterated by its own rules."""
    runs: list[tuple[str, str]] = []
    for ch in raw:
        script = _script_of(ch) if ch.isalpha() else _OTHER
        if runs and runs[-1][0] == script:
            runs[-1] = (script, runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


def _hangul_tokens(run: str) -> list[str]:
    out: list[str] = []
    for word in run.split():
        syllables = [s.lower() for s in _CAMEL_SYLLABLE.findall(anyascii(word))]
        for i, syl in enumerate(syllables):
            if i == 0 and syl in _KOREAN_SURNAMES:
                out.append(_KOREAN_SURNAMES[syl])
                continue
            # Revised Romanization "eo"/"eu" are written "o"/"u" on the lists (McCune-Reischauer).
            syl = syl.replace("eo", "o").replace("eu", "u")
            if syl.startswith("g"):
                syl = "k" + syl[1:]
            out.append(syl)
    return out


def _han_tokens(run: str) -> list[str]:
    out: list[str] = []
    for word in run.split():
        syllables = [s.lower() for s in _CAMEL_SYLLABLE.findall(anyascii(word))]
        if not syllables:
            continue
        # Chinese order: one-syllable surname first, given name written as one word ("Xi Jinping").
        out.append(syllables[0])
        if len(syllables) > 1:
            out.append("".join(syllables[1:]))
    return out


def _kana_tokens(run: str) -> list[str]:
    # Japanese long vowels are usually not written in Latin spellings ("Tarou" -> "Taro").
    text = anyascii(run).lower().replace("ou", "o").replace("uu", "u")
    return _NON_ALNUM.sub(" ", text).split()


def _abjad_tokens(run: str) -> list[str]:
    out: list[str] = []
    for word in run.split():
        letters = "".join(ch for ch in word if ch in _ABJAD_SKELETON)
        # The article "al-" is written joined in Arabic script; Latin lists drop or hyphenate it.
        if letters.startswith(("ال", "اَل")) and len(letters) > 3:
            letters = letters[2:]
        if letters:
            out.append(letters)
    return out


def _tokenize(raw: str) -> tuple[list[str], list[bool]]:
    tokens: list[str] = []
    consonantal: list[bool] = []
    for script, run in _split_runs(unicodedata.normalize("NFKC", raw)):
        if script == _ABJAD:
            words = _abjad_tokens(run)
            tokens.extend(words)
            consonantal.extend([True] * len(words))
            continue
        if script == _HANGUL:
            words = _hangul_tokens(run)
        elif script == _HAN:
            words = _han_tokens(run)
        elif script == _KANA:
            words = _kana_tokens(run)
        else:
            # Apostrophes inside names vanish ("O'Brien", "Yur'evich", "Sa'adi"); other punctuation
            # separates tokens ("AL-RAWI" -> "al rawi").
            text = anyascii(run).lower()
            text = re.sub(r"['`’ʻʼ‘]", "", text)
            words = _join_initials(_NON_ALNUM.sub(" ", text).split())
        tokens.extend(words)
        consonantal.extend([False] * len(words))
    return tokens, consonantal


def _is_abd(token: str, consonantal: bool) -> bool:
    return abjad_skeleton(token) == "_bd" if consonantal else token in _ABD_PREFIXES


@lru_cache(maxsize=65536)
def normalize_name(raw: str, *, join_abd: bool = True) -> NormalizedName:
    """Normalise one name. Pure and deterministic; cached because lists repeat names."""
    tokens, consonantal = _tokenize(reorder_last_first(raw))
    pairs = [(t, c) for t, c in zip(tokens, consonantal, strict=True) if t]
    kept: list[tuple[str, bool]] = []
    for i, (tok, cons) in enumerate(pairs):
        if cons:
            kept.append((tok, cons))
            continue
        if tok in HONORIFICS or tok in PARTICLES:
            continue
        if i > 0 and tok in COMPANY_SUFFIXES:
            continue
        kept.append((_fold_latin(tok), cons))
    if not kept:  # a name made only of particles/suffixes ("AS", "DE LA") keeps what it had
        kept = [(_fold_latin(t) if not c else t, c) for t, c in pairs]
    merged: list[tuple[str, bool]] = []
    for tok, cons in kept:
        if join_abd and merged and _is_abd(*merged[-1]) and merged[-1][1] == cons:
            prev, _ = merged.pop()
            merged.append((prev + tok, cons))
        else:
            merged.append((tok, cons))
    return NormalizedName(
        tokens=tuple(t for t, _ in merged), consonantal=tuple(c for _, c in merged)
    )


@lru_cache(maxsize=262144)
def latin_skeleton(token: str) -> str:
    """Consonant skeleton of a Latin token, comparable with :func:`abjad_skeleton`.

    "mohammed" -> "mhmd", "ahmed" -> "_hmd", "hussein" -> "hsn", "mousavi" -> "ms".
    Medial w/v/y are dropped on both sides because an abjad cannot tell them from vowels.
    """
    t = token
    for src, dst in _LATIN_DIGRAPHS:
        t = t.replace(src, dst)
    out: list[str] = []
    for i, ch in enumerate(t):
        if i == 0:
            out.append("_" if ch in _VOWELS else ch)
        elif ch in _VOWELS or ch in "wy" or ch.isdigit():
            continue
        else:
            out.append(ch)
    return _finish_skeleton(out)


@lru_cache(maxsize=65536)
def abjad_skeleton(token: str) -> str:
    """Consonant skeleton of an Arabic/Persian/Hebrew token (letters as in the source script)."""
    out: list[str] = []
    for i, ch in enumerate(token):
        sym = _ABJAD_SKELETON.get(ch, "")
        if i == 0:
            out.append(sym)
        elif sym in ("_", "w", "y", ""):
            continue
        else:
            out.append(sym)
    return _finish_skeleton(out)


def _finish_skeleton(chars: list[str]) -> str:
    collapsed: list[str] = []
    for ch in chars:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    # A final h is a vowel ending as often as a consonant (Fatima/Fatimah, Moshe/משה, ة).
    if len(collapsed) > 2 and collapsed[-1] == "h":
        collapsed.pop()
    return "".join(collapsed)


def token_skeleton(token: str, consonantal: bool) -> str:
    return abjad_skeleton(token) if consonantal else latin_skeleton(token)
