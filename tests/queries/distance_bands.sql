-- Trips by distance band, with refunds (negative totals) counted apart.
SELECT CASE WHEN trip_distance = 0 THEN '0 zero'
            WHEN trip_distance < 2 THEN '1 short'
            WHEN trip_distance < 10 THEN '2 medium'
            ELSE '3 long' END AS band,
       count(*) AS trips,
       sum(CASE WHEN total_amount < 0 THEN 1 ELSE 0 END) AS refunds,
       count(*) - count(passenger_count) AS unknown_passengers
FROM trips
GROUP BY 1
ORDER BY 1
