"""The research assistant: planner, parallel researchers, analyst and synthesizer."""
