{{ config(materialized='incremental', incremental_strategy='append') }}

-- Every run appends one copy of the rides: after N runs the log holds N copies.
select ride_id, fare, '{{ invocation_id }}' as run_id
from {{ ref('rides') }}
