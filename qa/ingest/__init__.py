"""Ingest: read files, find their metadata, normalize, chunk by clause, keep the corpus current."""

from qa.ingest.chunk import CHUNKER_VERSION, Chunk, chunk_document
from qa.ingest.read import CorpusReport, Document, load_corpus, load_document

__all__ = ["CHUNKER_VERSION", "Chunk", "CorpusReport", "Document", "chunk_document", "load_corpus", "load_document"]
