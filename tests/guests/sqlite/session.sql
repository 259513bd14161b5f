-- A shell session: schema, a bulk load in one transaction, indexes, joins,
-- aggregates, window functions, CTEs, JSON, and the shell's output modes.
.bail on
.headers on
.mode list
.nullvalue NULL
create table dept(id integer primary key, name text not null unique, budget real);
create table emp(id integer primary key, name text not null, dept_id integer references dept(id),
                 salary integer, hired text, manager_id integer references emp(id));
create table sale(id integer primary key, emp_id integer not null, amount real, day text);
insert into dept(name, budget) values ('engineering', 1.5e6), ('sales', 8e5), ('support', 3.2e5), ('research', NULL);
begin;
with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)
insert into emp(name, dept_id, salary, hired, manager_id)
  select printf('emp%04d', i), 1 + i % 4, 30000 + (i * 7919) % 90000,
         date('2010-01-01', '+' || (i * 37 % 4000) || ' days'), case when i > 10 then 1 + i % 10 end
  from n;
with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
insert into sale(emp_id, amount, day)
  select 1 + (i * 104729) % 2000, round(((i * 2654435761) % 100000) / 100.0, 2),
         date('2024-01-01', '+' || (i % 366) || ' days')
  from n;
commit;
create index emp_dept on emp(dept_id);
create index sale_emp_day on sale(emp_id, day);
analyze;
select count(*) as emps, (select count(*) from sale) as sales, (select count(*) from dept) as depts from emp;
.mode column
select d.name, count(e.id) as n, min(e.salary) as lo, max(e.salary) as hi, round(avg(e.salary), 1) as mean
  from dept d left join emp e on e.dept_id = d.id group by d.id order by d.name;
select e.name, sum(s.amount) as total, count(*) as n
  from emp e join sale s on s.emp_id = e.id group by e.id order by total desc, e.name limit 5;
select strftime('%m', day) as month, round(sum(amount), 2) as total from sale
  group by month having total > 80000 order by month;
.mode box
select name, salary, rank() over (partition by dept_id order by salary desc) as r,
       sum(salary) over (partition by dept_id order by salary desc rows 2 preceding) as run
  from emp where dept_id = 2 order by r limit 6;
.mode markdown
with recursive chain(id, name, depth) as (
  select id, name, 0 from emp where id = 57
  union all select e.manager_id, m.name, depth + 1 from chain c join emp e on e.id = c.id
                                                   join emp m on m.id = e.manager_id)
select * from chain;
.mode csv
select id, name, budget, budget is null as no_budget from dept;
.mode json
select d.name, json_group_array(e.name) as first_three
  from dept d join (select * from emp order by id limit 12) e on e.dept_id = d.id group by d.id;
select json_extract('{"a": [1, 2, {"b": "c"}]}', '$.a[2].b') as b, json('{"x" : 1}') as j;
.mode line
select typeof(1), typeof(1.5), typeof('x'), typeof(x'00'), typeof(null), 7 / 2, 7 / 2.0, 7 % 3,
       abs(-3), hex('hi'), length('héllo'), upper('abc'), substr('abcdef', 2, 3), replace('aaa', 'a', 'b'),
       instr('hello', 'l'), trim('  x  '), printf('%5.2f|%-4s|%x', 3.14159, 'ab', 255), coalesce(null, 'dflt'),
       nullif(3, 3), iif(1 < 2, 'yes', 'no'), sqrt(16), pow(2, 10), round(2.5), 1e308 * 10;
.mode tabs
select date('2024-02-28', '+1 day'), datetime(0, 'unixepoch'), julianday('2000-01-01'), strftime('%W', '2024-06-15');
explain query plan select * from sale where emp_id = 5 and day > '2024-06-01';
.mode list
update emp set salary = salary + 1000 where dept_id = 3;
delete from sale where amount < 1;
select changes(), total_changes() > 0;
savepoint sp1;
delete from emp;
rollback to sp1;
release sp1;
select count(*) from emp;
create view big_earners as select name, salary from emp where salary > 115000;
select count(*), min(name) from big_earners;
create trigger emp_audit after update of salary on emp begin
  insert into sale(emp_id, amount, day) values (new.id, new.salary - old.salary, 'raise');
end;
update emp set salary = salary * 2 where id in (1, 2, 3);
select emp_id, amount from sale where day = 'raise' order by emp_id;
select name from sqlite_schema where type = 'index' order by name;
.tables
.schema dept
.indexes emp
select * from nonexistent_table;
