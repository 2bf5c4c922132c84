"""Job and node changes pushed to clients (``GET /slurmgate/v1/events``), made from the mirror.

``changes`` says what happened between two loads, ``model`` what an event carries, ``hub``
turns the mirror's tables into events and hands them to the open streams (``subscription``),
filtered as each asks (``filters``) and as PrivateData lets its user see.
"""
