DROP FUNCTION IF EXISTS gridmap_place_parts(float8[], float8[], integer, float8, float8, float8);
