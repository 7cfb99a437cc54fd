"""Storage: one small adapter contract, its implementations, and the domain store above them."""
