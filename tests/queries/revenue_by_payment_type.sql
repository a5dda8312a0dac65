-- Revenue by payment type (1 credit card, 2 cash, 3 no charge, 4 dispute).
SELECT payment_type, count(*) AS trips, round(sum(total_amount), 2) AS revenue,
       round(sum(tip_amount), 2) AS tips
FROM trips
GROUP BY payment_type
ORDER BY payment_type
