-- One row per sales event of the month that names an account manager (the events that can
-- earn incentive points). Money comes back as exact decimal text ('129.00').
-- Parameters: 1 first day of the month, 2 last day (both 'YYYY-MM-DD', matched on partition dt).
with month_events as (
    select *
    from sales
    where dt between ? and ?
),

final as (
    select
        event_id,
        event_date,
        province,
        customer_id,
        segment,
        sub_segment,
        channel,
        product,
        event_type,
        cast(monthly_fee as varchar) as monthly_fee,
        cast(prev_monthly_fee as varchar) as prev_monthly_fee,
        account_manager_id
    from month_events
    where account_manager_id is not null
        and account_manager_id <> ''
)

select * from final
order by event_date, event_id, province
