"""Reference tables: products, stores, residential communities, content."""
