"""Credit-data connectors: agency reports, business registry and court data, pulled on demand."""
