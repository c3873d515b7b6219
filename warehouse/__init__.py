"""Publishing and reading snapshots (Iceberg through pyiceberg): issue 5."""
