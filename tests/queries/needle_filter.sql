-- A needle: trips on one route with four passengers.
SELECT count(*) AS trips, round(max(total_amount), 2) AS max_total
FROM trips
WHERE pulocationid = 132 AND dolocationid = 236 AND passenger_count = 4
