"""Reference classifications: industries (GB/T 4754-2017) and regions (GB/T 2260)."""
