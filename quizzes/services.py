"""Flows across models: publishing practice tests, submitting answers. Each is one transaction."""
