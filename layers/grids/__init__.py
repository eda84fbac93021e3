"""The 区 → 街道 → 社区 → 网格 hierarchy, grid codes, topology and grid linking."""
