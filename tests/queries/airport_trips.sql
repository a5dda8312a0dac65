-- Trips from the airports (132 JFK, 138 LaGuardia) and what they pay.
SELECT pulocationid, count(*) AS trips, round(avg(total_amount), 2) AS avg_total,
       round(sum(airport_fee), 2) AS airport_fees
FROM trips
WHERE pulocationid IN (132, 138)
GROUP BY pulocationid
ORDER BY pulocationid
