-- Tip percentage of card payments by hour of pickup.
SELECT hour(tpep_pickup_datetime) AS pickup_hour, count(*) AS trips,
       round(100 * sum(tip_amount) / sum(fare_amount), 3) AS tip_pct
FROM trips
WHERE payment_type = 1 AND fare_amount > 0
GROUP BY hour(tpep_pickup_datetime)
ORDER BY pickup_hour
