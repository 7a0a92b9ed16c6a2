"""Risk: margin by tier, the liquidation index, liquidation, the insurance fund and ADL."""
