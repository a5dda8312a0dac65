-- How many distinct zones and routes the trips use.
SELECT count(DISTINCT pulocationid) AS pickup_zones, count(DISTINCT dolocationid) AS dropoff_zones,
       count(DISTINCT concat(CAST(pulocationid AS varchar), '-', CAST(dolocationid AS varchar))) AS routes
FROM trips
