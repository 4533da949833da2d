"""τ²-bench telecom adapter: τ² tools as LangChain tools, gold replay, our graph as a τ² agent."""
