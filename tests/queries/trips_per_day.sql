-- Trips and revenue per day of February.
SELECT CAST(tpep_pickup_datetime AS DATE) AS day, count(*) AS trips, round(sum(total_amount), 2) AS revenue
FROM trips
WHERE year = '2024' AND month = '02'
GROUP BY CAST(tpep_pickup_datetime AS DATE)
ORDER BY day
