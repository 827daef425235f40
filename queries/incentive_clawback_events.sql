-- One row per sales event a clawback needs beyond the month's own events (those come from
-- incentive_sales_events): the `new` events that named a manager in the look-back window
-- before the month (they may have been credited), and the churns from the churn window to
-- the month's end, with or without a manager (the clawback falls on the manager credited for
-- the `new`), that have such a `new` of the same customer and product 0…N days before them.
-- Packed into one text column `event` like incentive_sales_events (same twelve fields, same
-- order, joined by chr(31), a null is an empty field).
-- The look-back's `new` events are read twice: three columns for the churns' join (a wide
-- copy held for it was DuckDB's largest working set, ~1 GB on a national month, and the
-- correlated EXISTS it replaces grouped every churn of the window), and whole for the few
-- before the month. A churn matching several `new` events is one row (select distinct: two
-- lake rows of one file never share an event id, so no two events are alike in every column).
-- Parameters: 1 first day of the `new` window (2N days before the month), 2 last day of the
-- month, 3 first day of the churn window (N days before the month), 4 last day of the month,
-- 5 N (days), 6 first day of the `new` window again, 7 the month's first day (all days
-- 'YYYY-MM-DD', matched on partition dt).
with managed_news as (
    select customer_id, product, event_date
    from sales
    where dt between ? and ?
        and event_type = 'new'
        and account_manager_id is not null
        and account_manager_id <> ''
),

churns as (
    select distinct s.*
    from sales as s
    inner join managed_news as n
        on n.customer_id = s.customer_id
        and n.product = s.product
    where s.dt between ? and ?
        and s.event_type = 'churn'
        and date_diff('day', n.event_date, s.event_date) between 0 and ?
),

both_kinds as (
    select * from sales
    where dt >= ? and dt < ?
        and event_type = 'new'
        and account_manager_id is not null
        and account_manager_id <> ''
    union all
    select * from churns
),

final as (
    select
        event_date,
        event_id,
        province,
        -- One text column per event (fields joined by the unit separator, chr(31)): a million
        -- rows cross into JS as one string each. Every field is non-null here, so || is safe.
        event_id
            || chr(31) || cast(event_date as varchar)
            || chr(31) || province
            || chr(31) || customer_id
            || chr(31) || segment
            || chr(31) || coalesce(sub_segment, '')
            || chr(31) || channel
            || chr(31) || product
            || chr(31) || event_type
            || chr(31) || cast(monthly_fee as varchar)
            || chr(31) || coalesce(cast(prev_monthly_fee as varchar), '')
            || chr(31) || coalesce(account_manager_id, '')
            as event
    from both_kinds
)

select event from final
order by event_date, event_id, province
