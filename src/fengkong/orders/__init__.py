"""Sales orders: committed but not yet invoiced business that counts toward exposure."""
