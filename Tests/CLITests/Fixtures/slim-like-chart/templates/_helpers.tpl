{{- define "slim.fullname" -}}
{{- if .Values.fullnameOverride -}}{{ .Values.fullnameOverride | trunc 63 }}{{- else -}}{{ .Release.Name | trunc 63 }}{{- end -}}
{{- end -}}
{{- define "slim.podSpec" -}}
containers:
  - name: slim
    image: "{{ .Values.slim.image.repository }}:{{ .Values.slim.image.tag | default .Chart.AppVersion }}"
    env:
      - name: SLIM_SVC_ID
        valueFrom: {fieldRef: {fieldPath: metadata.name}}
    ports:
      - {name: data, containerPort: {{ .Values.slim.service.data.port }}}
    volumeMounts:
      - {name: config, mountPath: /config}
volumes:
  - name: config
    configMap: {name: {{ include "slim.fullname" . }}}
{{- with .Values.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
