-- One row per sales event of the month that names an account manager (the events that can
-- earn incentive points), packed into one text column `event`: the twelve fields joined by
-- the unit separator chr(31) in this order: event_id, event_date, province, customer_id,
-- segment, sub_segment, channel, product, event_type, monthly_fee, prev_monthly_fee,
-- account_manager_id (a null is an empty field; money is exact decimal text '129.00').
-- One column instead of twelve: a month of a national roster is over a million rows, and
-- turning one string per row into JS is several times cheaper than twelve values.
-- Parameters: 1 first day of the month, 2 last day (both 'YYYY-MM-DD', matched on partition dt).
with month_events as (
    select *
    from sales
    where dt between ? and ?
        and account_manager_id is not null
        and account_manager_id <> ''
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
            || chr(31) || account_manager_id
            as event
    from month_events
)

select event from final
order by event_date, event_id, province
