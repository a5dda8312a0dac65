-- Partition pruning: one month of three, so about a third of the bytes of a full scan.
SELECT count(*) AS trips, round(sum(fare_amount), 2) AS fares
FROM trips
WHERE year = '2024' AND month = '03'
