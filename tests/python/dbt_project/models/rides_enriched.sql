{{ config(materialized='table') }}

select
    ride_id,
    vendor,
    ride_date,
    fare,
    passengers,
    round(fare / passengers, 2) as fare_per_passenger,
    note is not null as has_note
from {{ ref('rides') }}
