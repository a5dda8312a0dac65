-- The exact median fare of each month, by position in the sorted fares (the lower middle
-- one for an even count; floor() keeps the division integral in engines that divide exactly).
SELECT month, fare_amount AS median_fare
FROM (
  SELECT month, fare_amount,
         row_number() OVER (PARTITION BY month ORDER BY fare_amount, tpep_pickup_datetime) AS position,
         count(*) OVER (PARTITION BY month) AS n
  FROM trips
) ordered
WHERE position = floor((n + 1) / 2)
ORDER BY month
