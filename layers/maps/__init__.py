"""The Folium map builders and their one escaping path."""
