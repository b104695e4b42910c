-- Benchmark data for the identity read queries (a scratch PostgreSQL database, migrated with manage.py migrate).
-- 100k identities with aliases and a biography; 200 media files, 1M chunks, 400k faces.
TRUNCATE faces_chunk, faces_facedetection, faces_mediafile, identities_identity RESTART IDENTITY CASCADE;

INSERT INTO identities_identity
    (identity_uuid, name, identity_type, source, status, tmdb_id, tmdb_profile, metadata, reference_data, created_at)
SELECT gen_random_uuid(),
       (ARRAY['Cary','Audrey','Grace','James','Ingrid','Gregory','Marilyn','Humphrey','Katharine','Clark'])[1 + i % 10]
           || ' ' || initcap(substr(md5(i::text), 1, 8)),
       'people', 'tmdb', 'confirmed', i, '',
       jsonb_build_object(
           'aliases', jsonb_build_array(
               jsonb_build_object('locale', 'ja', 'name', 'ジョン' || substr(md5(i::text || 'a'), 1, 6)),
               jsonb_build_object('locale', 'en', 'name', initcap(substr(md5(i::text || 'b'), 1, 10)))),
           'tmdb_biography', repeat(md5(i::text || 'c') || ' ', 8),
           'tmdb_birthday', (date '1900-01-01' + (i % 36500))::text),
       '{}', now()
FROM generate_series(1, 100000) AS i;

-- 200 films of two hours at 25 fps; 5,000 chunks each (1M): sentences of 1-3 s every 1.44 s,
-- plus every 50th chunk a 60 s story chunk.
INSERT INTO faces_mediafile (file_uuid, file_name, fps, duration, frame_count, ingested_at)
SELECT gen_random_uuid(), 'film_' || f || '.mp4', 25.0, 7200.0, 180000, now() FROM generate_series(1, 200) AS f;

INSERT INTO faces_chunk (media_file_id, chunk_id, chunk_type, start_frame, end_frame, start_time, end_time, text)
SELECT f, 'c_' || f || '_' || n,
       CASE WHEN n % 50 = 0 THEN 'story_child' ELSE 'sentence' END,
       round(n * 1.44 * 25), round((n * 1.44 + CASE WHEN n % 50 = 0 THEN 60 ELSE 1 + (n % 3) END) * 25),
       n * 1.44, n * 1.44 + CASE WHEN n % 50 = 0 THEN 60 ELSE 1 + (n % 3) END,
       'line ' || n || ' of film ' || f
FROM generate_series(1, 200) AS f, generate_series(0, 4999) AS n;

-- 400k faces: per film 200 traces of 10 faces every 30 frames (2,000 faces/film); trace t of
-- film f is bound to identity ((f * 200 + t) % 1000) + 1, so identities 1..1000 have ~400 faces
-- in ~40 traces spread over many films.
INSERT INTO faces_facedetection (media_file_id, frame_number, index, bbox, confidence, trace_id, identity_id)
SELECT f, t * 900 + k * 30, 0, '[100, 50, 300, 400]', 0.5 + (k % 5) / 10.0, t,
       ((f * 200 + t) % 1000) + 1
FROM generate_series(1, 200) AS f, generate_series(0, 199) AS t, generate_series(0, 9) AS k;

ANALYZE;
