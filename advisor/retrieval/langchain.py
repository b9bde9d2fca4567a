"""The hybrid retriever behind LangChain's BaseRetriever, for chains and agents that expect one."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .hybrid import Retriever


class HybridRetriever(BaseRetriever):
    """LangChain face of the hybrid retriever, for chains that expect a BaseRetriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    retriever: Retriever
    k: int = 5
    expand: bool = False

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        evidence = self.retriever.search(query, self.k)
        if self.expand:
            evidence = self.retriever.expand_citations(evidence, query)
        return [
            Document(
                page_content=e.passage.text,
                id=e.passage.id,
                metadata={k: v for k, v in e.to_dict().items() if k != "text"},
            )
            for e in evidence
        ]
