"""The service ministries read the register through (`dtsen serve`): credentials, checked SQL, the audit."""
