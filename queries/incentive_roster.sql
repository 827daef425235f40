-- One row per account manager in the roster of every province (the latest roster file of a
-- province replaces the earlier one, so the lake holds one roster per province).
-- Parameters: none.
with roster as (
    select *
    from managers
),

final as (
    select
        account_manager_id,
        name,
        province,
        city,
        team,
        role,
        start_date,
        end_date
    from roster
)

select * from final
order by province, account_manager_id
