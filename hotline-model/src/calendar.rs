//! The working-day calendar (工作日历): official holidays and make-up workdays, loaded as data.
