"""Recording presentations on the agent's side (P9): pure rules, the WebM writer, the recorder."""
