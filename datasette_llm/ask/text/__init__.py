"""Answers from text: passages retrieved by meaning, fitted to the prompt, and cited answers."""
