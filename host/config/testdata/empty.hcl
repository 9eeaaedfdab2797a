# No blocks at all: the host's defaults, no instances.
