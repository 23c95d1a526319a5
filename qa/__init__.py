"""Offline question answering over Chinese policy documents: clause index, hybrid cited retrieval."""
