"""Commerce: licenses and prices, the ledger, licensing, invoices, bins, carts, downloads."""
