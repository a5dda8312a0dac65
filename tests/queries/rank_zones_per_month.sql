-- The three busiest pickup zones of each month, ranked.
SELECT month, pulocationid, trips, zone_rank
FROM (
  SELECT month, pulocationid, count(*) AS trips,
         rank() OVER (PARTITION BY month ORDER BY count(*) DESC) AS zone_rank
  FROM trips
  GROUP BY month, pulocationid
) ranked
WHERE zone_rank <= 3
ORDER BY month, zone_rank, pulocationid
