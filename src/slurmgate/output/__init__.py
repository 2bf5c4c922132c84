"""Jobs' standard output and error files, found and opened on behalf of the user asking
(``GET /slurmgate/v1/job/{job_id}/output``)."""
