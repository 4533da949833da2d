"""A ToolNode that runs a lone tool call in its own thread instead of a fresh thread pool."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolRuntime
from langgraph.runtime import Runtime


class InlineToolNode(ToolNode):
    """``ToolNode`` whose single tool call runs in the calling thread.

    The stock node opens a thread pool for every step and so starts (and joins) a new thread
    even for one call. Agents here make one call per step almost always (one write per reply),
    so that thread is pure cost on a busy server. Several calls still run on the pool, in
    parallel; errors, injection and ``wrap_tool_call`` behave exactly as in ``ToolNode``.
    """

    def _func(self, input: Any, config: RunnableConfig, runtime: Runtime) -> Any:
        tool_calls, input_type = self._parse_input(input)
        if len(tool_calls) != 1:
            return super()._func(input, config, runtime)
        call, call_config = tool_calls[0], get_config_list(config, 1)[0]
        tool_runtime: Any = ToolRuntime(
            state=self._extract_state(input, call_config),
            tool_call_id=call["id"],
            config=call_config,
            context=runtime.context,
            store=runtime.store,
            stream_writer=runtime.stream_writer,
            tools=list(self.tools_by_name.values()),
            execution_info=runtime.execution_info,
            server_info=runtime.server_info,
        )
        output = self._run_one(call, input_type, tool_runtime)
        return self._combine_tool_outputs([output], input_type)
