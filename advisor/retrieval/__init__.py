"""Stage 3: hybrid search (dense + BM25, reciprocal rank fusion) and citation expansion."""

from .hybrid import Retriever, get_retriever, prepare_query, reciprocal_rank_fusion
from .langchain import HybridRetriever

__all__ = ["HybridRetriever", "Retriever", "get_retriever", "prepare_query", "reciprocal_rank_fusion"]
