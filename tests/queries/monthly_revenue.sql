-- Monthly trips and revenue: the headline numbers of a monthly report.
SELECT year, month, count(*) AS trips, round(sum(total_amount), 2) AS revenue,
       round(avg(total_amount), 4) AS avg_total
FROM trips
GROUP BY year, month
ORDER BY year, month
