-- The ten busiest pickup zones, joined to the zone lookup.
SELECT z.borough, z.zone, count(*) AS trips, round(avg(t.trip_distance), 3) AS avg_distance
FROM trips t
JOIN zones z ON t.pulocationid = z.locationid
GROUP BY z.borough, z.zone
ORDER BY trips DESC, z.zone
LIMIT 10
