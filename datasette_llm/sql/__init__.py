"""Untrusted SQL, validated and run: the security boundary. No models and no prompts in here.

policy.py   the one read policy both walls read: allowed functions, table functions, pragmas, shadow tables
"""
