DROP TRIGGER IF EXISTS district_partitions ON grids_district;
DROP FUNCTION IF EXISTS gridmap_district_partitions_row();
DROP FUNCTION IF EXISTS gridmap_ensure_district_partitions(varchar);
DROP FUNCTION IF EXISTS gridmap_partition_by_district(regclass);
DROP FUNCTION IF EXISTS gridmap_fill_district_code();
DROP FUNCTION IF EXISTS gridmap_check_district_code();
DROP FUNCTION IF EXISTS gridmap_partitioned_tables();
DROP FUNCTION IF EXISTS gridmap_district_code_for_point(geometry, bigint);
