"""UBL-TR 1.2 documents for Kervan."""
