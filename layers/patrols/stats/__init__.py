"""Pure statistics of hot spots on arrays: Gi*, emerging patterns, kernel density, hexagon
cells, PAI and visiting order. No database and no Django: layers.patrols.counts and
layers.patrols.hotspots feed them."""
