-- The full scan the pruning snapshots compare with.
SELECT count(*) AS trips, round(sum(fare_amount), 2) AS fares
FROM trips
