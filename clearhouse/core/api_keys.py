"""API keys: who may act for an account, with which permissions, from which addresses.

Keys are engine state (created and revoked by journaled commands), so the policy gate can check
that a command arriving with a key is one that key may issue: the key exists, is active, belongs
to the command's account, allows the command's kind, and the request came from an allowed
address. The secret is held only sealed; the gateway unseals it to check signatures.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    PERPETUAL_ACCOUNT_COMMANDS,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    CancelTriggerOrder,
    Command,
    CreateApiKey,
    Facts,
    PlaceOrder,
    PlaceTriggerOrder,
    RequestWithdrawal,
    RevokeApiKey,
    TransferBetweenAccounts,
    TransferWallet,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import FORBIDDEN, INVALID_PARAM_VALUE, NO_CHANGE, Rejected
from clearhouse.core.events import ApiKeyCreated, ApiKeyRevoked

if TYPE_CHECKING:
    from clearhouse.core.state import State

READ: Final = "read"
SPOT: Final = "spot"
FUTURES: Final = "futures"
OPTIONS: Final = "options"
WALLET: Final = "wallet"  # transfers and withdrawals
PERMISSIONS: Final = frozenset({READ, SPOT, FUTURES, OPTIONS, WALLET})

MAX_KEYS_PER_ACCOUNT: Final = 20
MAX_ALLOWLIST: Final = 64
KEY_CHARS: Final = 64

# The permission each key-bearing command needs. Products add their commands here.
REQUIRED_PERMISSION: dict[type[Command], str] = {
    PlaceOrder: SPOT,
    CancelOrder: SPOT,
    CancelAllOrders: SPOT,
    AmendOrder: SPOT,
    PlaceTriggerOrder: SPOT,
    CancelTriggerOrder: SPOT,
    RequestWithdrawal: WALLET,
    TransferBetweenAccounts: WALLET,
}
# Perpetual futures: an account's futures commands need "futures"; moving money needs "wallet".
REQUIRED_PERMISSION.update({command: FUTURES for command in PERPETUAL_ACCOUNT_COMMANDS})
REQUIRED_PERMISSION[TransferWallet] = WALLET


class ApiKey:
    __slots__ = (
        "key",
        "account",
        "secret_sealed",
        "permissions",
        "ip_allowlist",
        "label",
        "active",
    )

    def __init__(
        self,
        key: str,
        account: int,
        secret_sealed: bytes,
        permissions: frozenset[str],
        ip_allowlist: tuple[str, ...],
        label: str,
    ) -> None:
        self.key = key
        self.account = account
        self.secret_sealed = secret_sealed
        self.permissions = permissions
        self.ip_allowlist = ip_allowlist
        self.label = label
        self.active = True

    def allows_ip(self, ip: str) -> bool:
        return ip_allowed(self.ip_allowlist, ip)


def ip_allowed(allowlist: tuple[str, ...], ip: str) -> bool:
    if not allowlist:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False  # an address we cannot parse is never on an allow-list
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in allowlist)


def validate_key_spec(key: str, permissions: tuple[str, ...], allowlist: tuple[str, ...]) -> None:
    if not (16 <= len(key) <= KEY_CHARS) or not key.isalnum():
        raise Rejected(INVALID_PARAM_VALUE, "key must be 16-64 letters or digits")
    if not permissions or not set(permissions) <= PERMISSIONS:
        raise Rejected(
            INVALID_PARAM_VALUE, f"permissions must be a subset of {sorted(PERMISSIONS)}"
        )
    if len(allowlist) > MAX_ALLOWLIST:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_ALLOWLIST} allow-list entries")
    for cidr in allowlist:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise Rejected(INVALID_PARAM_VALUE, f"{cidr!r} is not an IP network") from exc


def add_key(
    state: State,
    account: int,
    key: str,
    secret_sealed: bytes,
    permissions: tuple[str, ...],
    allowlist: tuple[str, ...],
    label: str,
    ctx: Context,
) -> None:
    state.api_keys[key] = ApiKey(
        key, account, secret_sealed, frozenset(permissions), allowlist, label
    )
    ctx.events.append(ApiKeyCreated(key, account, tuple(sorted(permissions)), allowlist))


def create_api_key(state: State, cmd: CreateApiKey, ctx: Context) -> None:
    state.require_account(cmd.account)
    validate_key_spec(cmd.key, cmd.permissions, cmd.ip_allowlist)
    if cmd.key in state.api_keys:
        raise Rejected(NO_CHANGE, "key already exists")
    held = sum(1 for k in state.api_keys.values() if k.account == cmd.account and k.active)
    if held >= MAX_KEYS_PER_ACCOUNT:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_KEYS_PER_ACCOUNT} keys per account")
    # --- nothing above this line writes ---
    add_key(
        state, cmd.account, cmd.key, cmd.secret_sealed, cmd.permissions, cmd.ip_allowlist,
        cmd.label, ctx,
    )  # fmt: skip


def revoke_api_key(state: State, cmd: RevokeApiKey, ctx: Context) -> None:
    api_key = state.api_keys.get(cmd.key)
    if api_key is None or api_key.account != cmd.account or not api_key.active:
        raise Rejected(INVALID_PARAM_VALUE, "no such active key for this account")
    # --- nothing above this line writes ---
    api_key.active = False
    ctx.events.append(ApiKeyRevoked(cmd.key, cmd.account))


def command_account(command: Command) -> int:
    account: int = getattr(command, "account", 0) or getattr(command, "from_account", 0)
    return account


def _pulls_from_own_sub(state: State, api_key: ApiKey, command: Command) -> bool:
    """A master account's key may move funds from one of its own sub-accounts into the master
    (Gate's sub-account transfer, direction "from"); the engine still checks the transfer."""
    if type(command) is not TransferBetweenAccounts or command.to_account != api_key.account:
        return False
    source = state.accounts.get(command.from_account)
    return source is not None and source.parent == api_key.account


def require_key_permission(state: State, command: Command, facts: Facts) -> None:
    """Gate rule: a command that arrives with an API key must be one that key may issue."""
    if not facts.api_key:
        return
    api_key = state.api_keys.get(facts.api_key)
    if api_key is None or not api_key.active:
        raise Rejected(FORBIDDEN, "API key not active")
    account = command_account(command)
    if account and api_key.account != account and not _pulls_from_own_sub(state, api_key, command):
        raise Rejected(FORBIDDEN, "API key does not belong to this account")
    needed = REQUIRED_PERMISSION.get(type(command))
    if needed is None:
        raise Rejected(FORBIDDEN, "this command cannot be issued with an API key")
    if needed not in api_key.permissions:
        raise Rejected(FORBIDDEN, f"API key lacks the {needed!r} permission")
    if not api_key.allows_ip(facts.ip):
        raise Rejected(FORBIDDEN, f"IP {facts.ip} not in the key's allow-list")
