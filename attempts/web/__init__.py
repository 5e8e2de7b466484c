"""The pages: instructors review courses, exams and attempts and mark essays; learners read
their own attempts. Server-rendered (templates under ``templates/``), one module per page or
per thing the pages share; who sees what is ``lms.access``, through the querysets."""
